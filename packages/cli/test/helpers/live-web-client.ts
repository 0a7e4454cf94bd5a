/** memray's own live client (what `memray live PORT` uses), on the host: read one snapshot
 * after three requests to the forecast service's /leak; prints the forecast_service sites it saw. */
export const LIVE_WEB_CLIENT = `
import sys, time, urllib.request
from memray import SocketReader
port, service = int(sys.argv[1]), sys.argv[2]
with SocketReader(port=port) as reader:
    for _ in range(3):
        urllib.request.urlopen(service + "leak", timeout=30).read()
    time.sleep(2)
    records = list(reader.get_current_snapshot(merge_threads=True))
    sites = {f"{frame[1]}:{frame[2]}" for r in records for frame in r.stack_trace()[:1]}
    print("SITES", *sorted(s for s in sites if "forecast_service" in s))
`;

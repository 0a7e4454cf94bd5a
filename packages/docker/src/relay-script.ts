/**
 * Python run in the container for each forwarded TCP connection: connects to a loopback port and
 * copies stdin → socket and socket → stdout until both sides close. Fixed code, passed with `-c`; the
 * port is its only argument. Stdlib only, Python >= 3.6.
 */
export const RELAY_SCRIPT = `
import os, socket, sys, threading
port = int(sys.argv[1])
sock = None
for host in ("127.0.0.1", "::1"):
    try:
        sock = socket.create_connection((host, port), timeout=10)
        break
    except OSError as exc:
        error = exc
if sock is None:
    sys.stderr.write("memray-cli relay: cannot connect to port %d in the container: %s\\n" % (port, error))
    sys.exit(111)
sock.settimeout(None)
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def upstream():
    try:
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            sock.sendall(data)
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
threading.Thread(target=upstream, daemon=True).start()
out = sys.stdout.buffer
try:
    while True:
        data = sock.recv(65536)
        if not data:
            break
        out.write(data)
        out.flush()
except OSError:
    pass
`;

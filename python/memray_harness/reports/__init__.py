"""The reports made from session.bin (report engine, table/tree, stats, derived figures) and requests.txt."""

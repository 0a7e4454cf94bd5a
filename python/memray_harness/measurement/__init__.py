"""The measurement window: memray's Tracker, RSS, tracemalloc, the object census, the live stream."""

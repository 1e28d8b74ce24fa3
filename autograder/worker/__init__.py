"""The sandbox: student code runs in a worker process; only plain data comes back (law 4)."""

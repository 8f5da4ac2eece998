"""`make bench`: the server and desktop benchmarks, side by side with their floors and with Better Auth."""

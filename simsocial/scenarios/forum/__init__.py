"""The forum scenario kind (SimReddit): communities, personas, threads, votes, judges."""

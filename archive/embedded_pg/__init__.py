"""A PostgreSQL backend that starts the embedded server on the first connection.

Settings name this package as the ENGINE when DATABASE_URL is unset; commands that never
connect (parsereply, check, collectstatic) then never start a server.
"""

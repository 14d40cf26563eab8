"""The `netorch` command line: thin commands over the library (parse, call, print)."""

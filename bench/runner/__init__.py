"""`bench/run`: intake (product against a bare baseline), reads, sweep, reports and memory, per size.

`cli` is the command; each size runs in its own child process (`size`), which measures in-process
(`inproc`) and over HTTP against gunicorn (`http`); `table` writes the Markdown.
"""

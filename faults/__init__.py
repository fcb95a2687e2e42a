"""`make faults`: the distributed mode (six service processes, a RabbitMQ node of its own,
SecantusDB) driven with N tasks through images -> select -> model while one fault at a time
is injected; one row of figures per fault, each with a negative control (`--control`) that
turns the recovery off and so shows that the check can fail.

    .venv/bin/python -m faults [--tasks N] [--only kill-generation,broker-restart] [--control]
"""

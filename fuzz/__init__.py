"""schemathesis against the embedded system (`make fuzz`): anonymous, then logged in."""

"""The performance harness (`make bench`): a script, not a pytest test module."""

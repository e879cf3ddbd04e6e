"""The ``campus`` command."""

"""The projects domain: commands, deciders, errors. Pure: no I/O imports here."""

"""The offline demo: sample portals served locally."""

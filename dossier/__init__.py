"""Dossier's processes: settings, stores, composition roots and the command line."""

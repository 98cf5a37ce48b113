"""Helpers shared by the test layers: fake clock, sample registrations, stores."""

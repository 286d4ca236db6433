"""Scenario -> needs: what every institution needs before any resource is allocated."""

"""The work plans' rules (presets with their sources) and the what-if scenario."""

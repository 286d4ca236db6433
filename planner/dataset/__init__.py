"""Reading a district dataset: table specs (schema), files (io), the synthetic sample, travel times, names."""

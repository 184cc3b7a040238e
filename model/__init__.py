"""ruimtepuzzel's model: load and validate → preprocess → formulate → extract → report."""

"""From a loaded instance to allowed (unit, claim) pairs, spatial relations and pre-solve findings."""

"""Solving a formulated problem: the stages of an objective, and exact aggregation of interchangeable units."""

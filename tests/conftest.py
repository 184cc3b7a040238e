"""Tests import the installed package ``ruimtepuzzel`` (``pip install -e ".[test]"``), never the folders by path."""

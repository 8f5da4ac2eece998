"""Apps built on Kernia Desktop."""

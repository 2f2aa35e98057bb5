"""Majority-opinion dynamics (De Marzo, Castellano, Garcia, arXiv 2409.02822)."""

"""LLM-driven network growth (De Marzo, Pietronero, Garcia, arXiv 2312.06619)."""

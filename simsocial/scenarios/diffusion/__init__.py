"""Information diffusion among generative agents (Park et al. 2023, section 7)."""

"""The generative-media feedback loop kind (`kind: media`)."""

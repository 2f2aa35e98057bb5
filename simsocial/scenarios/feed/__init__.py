"""The feed kind: a Twitter-like platform of ANES 2020 personas with swappable feed rankers
(Törnberg, Valeeva, Uitermark & Bail 2023, arXiv 2310.05984).

`spec` (the `twitter:` block beside `feed:`), `population` (personas as users, activity),
`network` (the starting follows), `news` (the CSV of items), `prompt` (what a user reads and the
structured action), `actions` (applying one), `shown` (the `feeds` table), `metrics` (E-I
columns), `toxicity` (the 0-3 judge and the offline offensive score) and `model`.
"""

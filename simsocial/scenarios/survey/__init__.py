"""The survey kind: a persona fidelity audit against survey ground truth (Argyle et al. 2023,
"Out of One, Many").

Each persona is asked survey items it truly answered (2020 vote, party ID, ideology, any coded
column a user maps) through the choose verb, options shuffled, log-probabilities where the model
gives them, and nothing written into any memory; the analysis (`simsocial.analysis.survey`)
measures how well the answers match the persona's own, overall and by subgroup.

Why a scenario kind and not a `simsocial audit FILE` command: an audit is a run like any other.
As a kind it gets, with no code of its own, the run directory (every prompt and reply in
llm_calls.parquet, the answers table, the manifest with how the personas were drawn), resume
after a crash or a budget stop (one item per step, so a 10,000-persona audit loses at most one
item's calls), `simsocial validate` with located errors, the report, and sweeps: the ablations
(fields shown, prompt form, model) are a sweep file over `survey.show`, `survey.person` and
`llm.model`, compared with paired bootstrap CIs by the sweep report. A command would have had to
rebuild each of these.
"""

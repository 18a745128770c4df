"""Preference tuning (Axolotl's `rl:` DPO, IPO, SimPO, ORPO, KTO) on TRL's trainers.

`methods` reads the config keys, `rows` turns dataset rows into prompt/chosen/rejected (or KTO's
prompt/completion/label), `tokens` renders and tokenizes them the way the trainer sees them, `dataset`
reads whole `datasets:` entries, `trainers` builds the TRL trainer. Nothing here imports torch until
`trainers` is used.
"""

"""The label that marks a token as not trained: one value for templating, packing, losses and the UI.

-100 is PyTorch's `cross_entropy` default `ignore_index`, which transformers' losses, TRL and Axolotl share.
"""

IGNORE_INDEX = -100

"""voting: pure tabulation of ranked ballots and participatory-budget allocation.

numpy and scipy only; never imports Flask or agora.
"""

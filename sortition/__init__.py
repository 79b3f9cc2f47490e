"""sortition: fair, verifiable stratified selection of citizens' panels.

numpy and scipy only; never imports Flask or agora.
"""

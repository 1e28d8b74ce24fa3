"""Explanations of known mistakes, one module per concept, shared by public and hidden checks.

Each is one sentence in the lecture's words, for the student; none holds an expected value.
"""

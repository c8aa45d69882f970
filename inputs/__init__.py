"""What every reader of a user's input file shares: the problem list it reports and duration parsing.

An edge module: the twin (scenario files), reports (schedule CSVs), the console (uploads) and the command
line all use it, so none of them imports another for its error types.
"""

"""The curriculum: its model, the YAML reader (shared with project.yaml), loading and cache, graph checks,
the project catalogue, lesson search, and the planner behind `dlpath next`.

Nothing here knows a learner's store or the grader: plain data in, plain data out.
"""

"""Assets, one module per part of the graph; checks stand beside their assets."""

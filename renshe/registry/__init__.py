"""Person base (人员基础库), employer base (单位) and employment relations (就业关系)."""

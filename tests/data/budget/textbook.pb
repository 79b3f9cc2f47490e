META
key;value
description;Textbook case: greedy fails EJR, equal shares satisfies it
country;none
unit;example
instance;textbook
num_projects;5
num_votes;5
budget;3
vote_type;approval
rule;unknown
date_begin;2024
date_end;2024
currency;EUR
PROJECTS
project_id;cost;votes;name
a1;1;3;Project a1
a2;1;3;Project a2
a3;1;3;Project a3
b1;1;2;Project b1
b2;1;2;"Project ""b2""; quoted"
VOTES
voter_id;vote
v1;a1,a2,a3
v2;a1,a2,a3
v3;a1,a2,a3
v4;b1,b2
v5;b1,b2

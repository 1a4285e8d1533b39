module heaptrace/tests/tools/maptypes

go 1.19

module heaptrace/tests/targets

go 1.19

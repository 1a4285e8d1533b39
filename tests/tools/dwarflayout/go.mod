module heaptrace/tests/tools/dwarflayout

go 1.19

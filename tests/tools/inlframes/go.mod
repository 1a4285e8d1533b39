module heaptrace/tests/tools/inlframes

go 1.19

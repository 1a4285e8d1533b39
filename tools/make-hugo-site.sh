#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Generates a Hugo site of N pages in DIR (for tests, the demo and the
# benchmark): a real workload for Debian's stripped hugo binary.
set -euo pipefail
dir=${1:?usage: make-hugo-site.sh DIR [PAGES]}
pages=${2:-500}
rm -rf "$dir"
mkdir -p "$dir/content/posts" "$dir/layouts/_default"
cat >"$dir/config.toml" <<'TOML'
baseURL = "http://localhost/"
title = "heaptrace test site"
disableKinds = ["RSS", "sitemap", "robotsTXT", "404"]
[taxonomies]
  tag = "tags"
TOML
cat >"$dir/layouts/_default/baseof.html" <<'HTML'
<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ block "main" . }}{{ end }}</body></html>
HTML
cat >"$dir/layouts/_default/single.html" <<'HTML'
{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul>{{ end }}
HTML
cat >"$dir/layouts/_default/list.html" <<'HTML'
{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ul>{{ end }}
HTML
cp "$dir/layouts/_default/list.html" "$dir/layouts/index.html"
for i in $(seq 1 "$pages"); do
	cat >"$dir/content/posts/post-$i.md" <<MD
---
title: "Post $i"
date: 2024-01-01
tags: ["t$((i % 37))", "u$((i % 11))"]
---
Post number $i. $(printf 'Lorem ipsum dolor sit amet, **consectetur** adipiscing elit. %.0s' $(seq 1 $((i % 7 + 3))))

## Section

- item one of $i
- item two of $i
MD
done

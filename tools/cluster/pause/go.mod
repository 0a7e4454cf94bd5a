module memray-cli/tools/cluster/pause

go 1.22

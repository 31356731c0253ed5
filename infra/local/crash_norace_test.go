//go:build !race

package local

const crashKills = 20

/*
 * version.h - which nicq this is, and where its installed data lives.
 *
 * The version is the VERSION file's release number, followed by the git
 * commit it was built from when the build had one ("0.1.0+g4191da9", with
 * ".dirty" for uncommitted changes), fixed at build time.
 */
#ifndef NICQ_VERSION_H
#define NICQ_VERSION_H

const char *nicq_version(void);

#endif

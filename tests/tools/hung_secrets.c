/*
 * hung_secrets.c - a Secret Service that never answers, for tests.
 *
 *     hung_secrets [READY-FILE]
 *
 * Owns org.freedesktop.secrets on the session bus (DBUS_SESSION_BUS_ADDRESS)
 * and drops every method call it receives without a reply, like a keyring
 * daemon that hangs: a caller waits for D-Bus's timeout (25 s).  Writes
 * "ready" to READY-FILE (or stdout) once the name is owned, then, on stderr,
 * one line per call it swallowed.  Runs until killed.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

static GDBusMessage *
swallow(GDBusConnection *conn, GDBusMessage *msg, gboolean incoming, gpointer ud)
{
	(void)conn, (void)ud;
	if (!incoming || g_dbus_message_get_message_type(msg) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
		return msg;
	fprintf(stderr, "hung_secrets: swallowed %s.%s on %s\n",
	        g_dbus_message_get_interface(msg) ? g_dbus_message_get_interface(msg) : "?",
	        g_dbus_message_get_member(msg) ? g_dbus_message_get_member(msg) : "?",
	        g_dbus_message_get_path(msg) ? g_dbus_message_get_path(msg) : "?");
	g_object_unref(msg);
	return NULL; /* no reply, ever */
}

int
main(int argc, char **argv)
{
	GError *err = NULL;
	GDBusConnection *conn;
	GVariant *r;
	guint32 code = 0;
	GMainLoop *ml;
	FILE *f;

	conn = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err);
	if (conn == NULL) {
		fprintf(stderr, "hung_secrets: no session bus: %s\n", err->message);
		return 1;
	}
	g_dbus_connection_add_filter(conn, swallow, NULL, NULL);
	/* 4 = DBUS_NAME_FLAG_DO_NOT_QUEUE; the answer 1 = primary owner */
	r = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
	                                "org.freedesktop.DBus", "RequestName",
	                                g_variant_new("(su)", "org.freedesktop.secrets", 4u),
	                                G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
	                                &err);
	if (r == NULL) {
		fprintf(stderr, "hung_secrets: RequestName failed: %s\n", err->message);
		return 1;
	}
	g_variant_get(r, "(u)", &code);
	g_variant_unref(r);
	if (code != 1) {
		fprintf(stderr, "hung_secrets: org.freedesktop.secrets is owned already (%u)\n",
		        code);
		return 1;
	}
	f = argc > 1 ? fopen(argv[1], "w") : stdout;
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	fprintf(f, "ready\n");
	if (f != stdout)
		fclose(f);
	else
		fflush(stdout);
	ml = g_main_loop_new(NULL, FALSE);
	g_main_loop_run(ml);
	return 0;
}

# Stand-in for procd's /lib/functions/procd.sh: instead of sending the service to procd over
# ubus, it writes what procd would be told to /tmp/procd/<service> (one "param VALUE..." per
# line; the file exists while the service has an instance, as procd would run it) and logs
# each request to /tmp/procd/log.

procd_open_service() {
	_procd_service="$1"
	_procd_instance=""
	mkdir -p /tmp/procd
	: > "/tmp/procd/.$1.new"
}

procd_open_instance() { _procd_instance=1; echo "instance" >> "/tmp/procd/.$_procd_service.new"; }
procd_set_param() { echo "$*" >> "/tmp/procd/.$_procd_service.new"; }
procd_append_param() { echo "$*" >> "/tmp/procd/.$_procd_service.new"; }
procd_close_instance() { :; }
procd_add_reload_trigger() { echo "reload_trigger $*" >> "/tmp/procd/.$_procd_service.new"; }

procd_close_service() {
	service_triggers
	if [ -n "$_procd_instance" ]; then
		mv "/tmp/procd/.$_procd_service.new" "/tmp/procd/$_procd_service"
		echo "start $_procd_service" >> /tmp/procd/log
	else
		# A service set with no instance: procd stops what ran.
		rm -f "/tmp/procd/.$_procd_service.new" "/tmp/procd/$_procd_service"
		echo "set-empty $_procd_service" >> /tmp/procd/log
	fi
}

procd_kill() {
	rm -f "/tmp/procd/$1"
	echo "stop $1" >> /tmp/procd/log
}

procd_send_signal() {
	echo "signal $1 $3" >> /tmp/procd/log
}

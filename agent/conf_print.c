/* placeholder */ typedef int mip_placeholder_conf_print;

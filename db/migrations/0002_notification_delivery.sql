CREATE TABLE "notification_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"log_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"status" "notification_status" NOT NULL,
	"permanent" boolean DEFAULT false NOT NULL,
	"provider" text,
	"provider_message_id" text,
	"http_status" integer,
	"error" text,
	"latency_ms" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_attempts_log_attempt_uq" UNIQUE("log_id","attempt")
);
--> statement-breakpoint
DROP INDEX "webhook_deliveries_endpoint_event_idx";--> statement-breakpoint
ALTER TABLE "notification_log" ADD COLUMN "leased_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notification_preferences" ADD COLUMN "phone" text;--> statement-breakpoint
ALTER TABLE "notification_preferences" ADD COLUMN "email_address" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "trigger" text DEFAULT 'event' NOT NULL;--> statement-breakpoint
ALTER TABLE "notification_attempts" ADD CONSTRAINT "notification_attempts_log_id_notification_log_id_fk" FOREIGN KEY ("log_id") REFERENCES "public"."notification_log"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_queue_message_uq" ON "dead_letters" USING btree ("queue","message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_event_attempt_uq" ON "webhook_deliveries" USING btree ("endpoint_id","event_id","attempt");